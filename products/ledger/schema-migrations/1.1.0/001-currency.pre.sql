-- Ledger 1.1.0, before the stop: a nullable column, so the 1.0.0 code that still
-- serves (it names its columns) keeps working while it is added.
-- up
alter table entries add column currency varchar(3);

-- down
alter table entries drop column currency;
