CREATE TABLE "agent_events" (
	"agent_id" text NOT NULL,
	"seq" integer NOT NULL,
	"type" text NOT NULL,
	"event" jsonb NOT NULL,
	"actor" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	CONSTRAINT "agent_events_agent_id_seq_pk" PRIMARY KEY("agent_id","seq")
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"id" text PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'logged_out' NOT NULL,
	"reason" text,
	"status_since" timestamp with time zone DEFAULT now() NOT NULL,
	"workgroups" text[] DEFAULT '{}' NOT NULL,
	"skills" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"cap_email" integer DEFAULT 0 NOT NULL,
	"cap_sms" integer DEFAULT 0 NOT NULL,
	"load_email" integer DEFAULT 0 NOT NULL,
	"load_sms" integer DEFAULT 0 NOT NULL,
	"idle_since" timestamp with time zone DEFAULT now() NOT NULL,
	"snapshot" jsonb NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"event_seq" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "interaction_events" (
	"interaction_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"type" text NOT NULL,
	"event" jsonb NOT NULL,
	"actor" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"state" text NOT NULL,
	"state_path" text NOT NULL,
	"workgroup" text,
	"agent_id" text,
	"priority" integer NOT NULL,
	CONSTRAINT "interaction_events_interaction_id_seq_pk" PRIMARY KEY("interaction_id","seq")
);
--> statement-breakpoint
CREATE TABLE "interactions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"reference" bigserial NOT NULL,
	"channel" text NOT NULL,
	"state" text NOT NULL,
	"state_path" text NOT NULL,
	"snapshot" jsonb NOT NULL,
	"version" integer NOT NULL,
	"category" text,
	"workgroup" text,
	"skills" text[] DEFAULT '{}' NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"target_agent_id" text,
	"agent_id" text,
	"last_agent_id" text,
	"declined_by" text[] DEFAULT '{}' NOT NULL,
	"disposition" text,
	"discard_reason" text,
	"from_address" text NOT NULL,
	"to_address" text NOT NULL,
	"subject" text,
	"contact_id" uuid,
	"timers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"queued_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	CONSTRAINT "interactions_reference_unique" UNIQUE("reference")
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"interaction_id" uuid NOT NULL,
	"direction" text NOT NULL,
	"channel" text NOT NULL,
	"from_address" text NOT NULL,
	"to_address" text NOT NULL,
	"subject" text,
	"body" text NOT NULL,
	"author_id" text,
	"status" text NOT NULL,
	"external_id" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "stream_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"token_hash" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE INDEX "agents_available_idx" ON "agents" USING btree ("idle_since") WHERE "agents"."status" = 'available' and ("agents"."load_email" < "agents"."cap_email" or "agents"."load_sms" < "agents"."cap_sms");--> statement-breakpoint
CREATE INDEX "agents_workgroups_idx" ON "agents" USING gin ("workgroups");--> statement-breakpoint
CREATE INDEX "interaction_events_at_idx" ON "interaction_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "interactions_queue_idx" ON "interactions" USING btree ("workgroup","channel","priority" DESC NULLS LAST,"created_at") WHERE "interactions"."state" = 'queued' and "interactions"."target_agent_id" is null;--> statement-breakpoint
CREATE INDEX "interactions_targeted_idx" ON "interactions" USING btree ("target_agent_id","priority" DESC NULLS LAST,"created_at") WHERE "interactions"."state" = 'queued' and "interactions"."target_agent_id" is not null;--> statement-breakpoint
CREATE INDEX "interactions_agent_idx" ON "interactions" USING btree ("agent_id") WHERE "interactions"."agent_id" is not null;--> statement-breakpoint
CREATE INDEX "interactions_state_idx" ON "interactions" USING btree ("state");--> statement-breakpoint
CREATE INDEX "interactions_from_idx" ON "interactions" USING btree ("from_address","created_at");--> statement-breakpoint
CREATE INDEX "messages_interaction_idx" ON "messages" USING btree ("interaction_id","created_at");--> statement-breakpoint
CREATE INDEX "messages_external_idx" ON "messages" USING btree ("external_id");--> statement-breakpoint
CREATE INDEX "outbox_available_idx" ON "outbox" USING btree ("available_at");--> statement-breakpoint
CREATE INDEX "stream_events_user_idx" ON "stream_events" USING btree ("user_id","id");