-- A transaction key names one transaction: the index that finds retries also refuses a second
-- event for one (the sequencer then looks the batch's transactions up and answers the retry
-- with the first event). Plain messages are written without looking their transactions up
-- first; this index is what keeps a retry from being stored twice. Keys are 64-bit hashes: two
-- different transactions with one key are written with the second's key left empty (see
-- rooms::sequencer::sequence).
DROP INDEX events_by_txn_key;
CREATE UNIQUE INDEX events_by_txn_key ON events (txn_key) WHERE txn_key IS NOT NULL;
