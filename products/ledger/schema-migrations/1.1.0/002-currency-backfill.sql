-- Ledger 1.1.0, between stop and start: every entry written before 1.1.0 was in
-- euros. It runs once the old code is stopped, so no row is written without a
-- currency after the backfill.
-- up
update entries set currency = 'EUR' where currency is null;

-- down
-- the state before the backfill: the column is there and empty (001's down drops it)
update entries set currency = null;
