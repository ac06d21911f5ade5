-- Ledger 1.2.0, before the stop: an index is additive, so it is built while the
-- 1.1.0 code still serves.
-- up
create index entries_account on entries (account);

-- down
drop index entries_account;
