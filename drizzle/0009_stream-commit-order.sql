DROP INDEX "stream_events_user_idx";--> statement-breakpoint
ALTER TABLE "stream_events" ADD COLUMN "tx" "xid8" DEFAULT pg_current_xact_id() NOT NULL;--> statement-breakpoint
CREATE INDEX "stream_events_user_tx_idx" ON "stream_events" USING btree ("user_id","tx","id");