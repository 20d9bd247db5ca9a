ALTER TABLE "interactions" ADD COLUMN "open_alerts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE "interactions" AS i SET "open_alerts" = a.n
FROM (SELECT "interaction_id", count(*)::int AS n FROM "desk_alerts" WHERE "cleared_at" IS NULL GROUP BY "interaction_id") AS a
WHERE a."interaction_id" = i."id";
