CREATE TABLE "desk_alert_timers" (
	"rule_id" text NOT NULL,
	"interaction_id" uuid NOT NULL,
	"entered_seq" integer NOT NULL,
	"fire_at" timestamp with time zone NOT NULL,
	"job" jsonb NOT NULL,
	CONSTRAINT "desk_alert_timers_rule_id_interaction_id_entered_seq_pk" PRIMARY KEY("rule_id","interaction_id","entered_seq")
);
--> statement-breakpoint
CREATE INDEX "desk_alert_timers_fire_idx" ON "desk_alert_timers" USING btree ("fire_at");