-- GENRE migration 0010: sticky experiment assignment. A user's variant is recorded the first time a running
-- experiment shows them one, and kept: Thompson sampling moves the shares every few seconds, and hashing
-- onto the current shares moved users who sat near a boundary between variants mid-experiment.
CREATE TABLE genre.experiment_assignments (
    experiment   text        NOT NULL,
    user_id      text        NOT NULL,
    variant      text        NOT NULL,
    assigned_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (experiment, user_id),
    FOREIGN KEY (experiment, variant) REFERENCES genre.experiment_variants ON DELETE CASCADE
);
COMMENT ON TABLE genre.experiment_assignments IS
  'The variant each user was first shown in an experiment; genre.recommend serves it for as long as the experiment runs. A share change affects only users not assigned yet.';
