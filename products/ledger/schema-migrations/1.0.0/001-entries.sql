-- Ledger 1.0.0: the entries table. Plain SQL that SQLite and PostgreSQL both run
-- (ids are UUID text made by the API, so no SERIAL/AUTOINCREMENT difference).
-- up
create table entries (
  id varchar(36) not null primary key,
  account varchar(64) not null,
  amount_cents bigint not null,
  created_at varchar(32) not null
);

-- down
drop table entries;
