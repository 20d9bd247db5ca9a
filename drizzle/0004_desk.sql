CREATE TABLE "config_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"version_from" integer,
	"version_to" integer NOT NULL,
	"changes" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "config_versions" (
	"version" integer PRIMARY KEY NOT NULL,
	"document" jsonb NOT NULL,
	"source" text NOT NULL,
	"file_hash" text,
	"actor" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "desk_alerts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"rule_id" text NOT NULL,
	"interaction_id" uuid NOT NULL,
	"watch" text NOT NULL,
	"stages" text[] NOT NULL,
	"entered_seq" integer NOT NULL,
	"entered_at" timestamp with time zone NOT NULL,
	"threshold_ms" integer NOT NULL,
	"channel" text NOT NULL,
	"workgroup" text,
	"category" text,
	"raised_at" timestamp with time zone DEFAULT now() NOT NULL,
	"cleared_at" timestamp with time zone,
	"cleared_by" text,
	"cleared_by_actor" text,
	CONSTRAINT "desk_alerts_once" UNIQUE("rule_id","interaction_id","entered_seq")
);
--> statement-breakpoint
CREATE TABLE "desk_responses" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"keywords" text[] DEFAULT '{}' NOT NULL,
	"channel" text NOT NULL,
	"workgroups" text[] DEFAULT '{}' NOT NULL,
	"search" "tsvector" NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "desk_reviews" (
	"id" uuid PRIMARY KEY NOT NULL,
	"message_id" uuid NOT NULL,
	"interaction_id" uuid NOT NULL,
	"workgroup" text,
	"category" text,
	"agent_id" text NOT NULL,
	"response_id" text,
	"status" text NOT NULL,
	"body" text NOT NULL,
	"edited_body" text,
	"comment" text,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone,
	"decided_by" text,
	CONSTRAINT "desk_reviews_message_id_unique" UNIQUE("message_id")
);
--> statement-breakpoint
CREATE TABLE "desk_status_messages" (
	"user_id" text PRIMARY KEY NOT NULL,
	"message" text NOT NULL,
	"since" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "config_audit_at_idx" ON "config_audit" USING btree ("at");--> statement-breakpoint
CREATE INDEX "desk_alerts_open_idx" ON "desk_alerts" USING btree ("interaction_id") WHERE "desk_alerts"."cleared_at" is null;--> statement-breakpoint
CREATE INDEX "desk_alerts_raised_idx" ON "desk_alerts" USING btree ("raised_at");--> statement-breakpoint
CREATE INDEX "desk_responses_search_idx" ON "desk_responses" USING gin ("search");--> statement-breakpoint
CREATE INDEX "desk_reviews_pending_idx" ON "desk_reviews" USING btree ("workgroup","requested_at") WHERE "desk_reviews"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "desk_reviews_interaction_idx" ON "desk_reviews" USING btree ("interaction_id");