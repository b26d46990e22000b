-- One stored vote per reply as the patient saw it: a changed vote (up → down, a reason added) updates its row.
-- `vote_key` is a one-way hash of the channel, the client's id for that reply and the reply's text (insights.events.vote_key);
-- votes stored before this migration keep their own id as key. `changed` counts how often a vote was changed.

ALTER TABLE votes ADD COLUMN vote_key TEXT;
UPDATE votes SET vote_key = id WHERE vote_key IS NULL;
CREATE UNIQUE INDEX votes_by_key ON votes (vote_key);
ALTER TABLE votes ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
