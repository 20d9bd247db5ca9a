CREATE TABLE "agent_slots" (
	"agent_id" text NOT NULL,
	"workgroup" text NOT NULL,
	"skills" text[] NOT NULL,
	"channel" text NOT NULL,
	"score" integer NOT NULL,
	"ready" boolean NOT NULL,
	"idle_since" timestamp with time zone NOT NULL,
	CONSTRAINT "agent_slots_agent_id_workgroup_skills_channel_pk" PRIMARY KEY("agent_id","workgroup","skills","channel")
);
--> statement-breakpoint
CREATE TABLE "routing_profiles" (
	"skills" text[] PRIMARY KEY NOT NULL
);
--> statement-breakpoint
DROP INDEX "agents_available_idx";--> statement-breakpoint
ALTER TABLE "agent_slots" ADD CONSTRAINT "agent_slots_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_slots_pick_idx" ON "agent_slots" USING btree ("workgroup","skills","channel","score" DESC NULLS LAST,"idle_since") WHERE "agent_slots"."ready";
--> statement-breakpoint
-- An agent's slots (all agents' when agent_ids is null) made to match its workgroups, skills, presence
-- and load against the routing profiles in use.
CREATE FUNCTION "agent_slots_refresh"(agent_ids text[]) RETURNS void LANGUAGE sql AS $$
  DELETE FROM agent_slots s
  WHERE (agent_ids IS NULL OR s.agent_id = ANY(agent_ids))
    AND NOT EXISTS (
      SELECT 1 FROM agents a JOIN routing_profiles p ON p.skills = s.skills
      WHERE a.id = s.agent_id AND s.workgroup = ANY(a.workgroups) AND a.skills ?& p.skills);
  INSERT INTO agent_slots (agent_id, workgroup, skills, channel, score, ready, idle_since)
  SELECT a.id, wg.id, p.skills, ch.id,
         (SELECT coalesce(sum((a.skills ->> k)::int), 0) FROM unnest(p.skills) k),
         a.status = 'available' AND CASE ch.id WHEN 'email' THEN a.load_email < a.cap_email ELSE a.load_sms < a.cap_sms END,
         a.idle_since
  FROM agents a
  CROSS JOIN LATERAL (SELECT DISTINCT w FROM unnest(a.workgroups) w) wg(id)
  JOIN routing_profiles p ON a.skills ?& p.skills
  CROSS JOIN (VALUES ('email'), ('sms')) ch(id)
  WHERE agent_ids IS NULL OR a.id = ANY(agent_ids)
  ON CONFLICT (agent_id, workgroup, skills, channel) DO UPDATE
    SET score = excluded.score, ready = excluded.ready, idle_since = excluded.idle_since
    WHERE (agent_slots.score, agent_slots.ready, agent_slots.idle_since)
          IS DISTINCT FROM (excluded.score, excluded.ready, excluded.idle_since);
$$;
--> statement-breakpoint
-- A slot that is not ready and stays so keeps its idle time; it takes the agent's when it becomes ready.
CREATE FUNCTION "agents_keep_slots"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.workgroups IS DISTINCT FROM OLD.workgroups OR NEW.skills IS DISTINCT FROM OLD.skills THEN
    PERFORM agent_slots_refresh(ARRAY[NEW.id]);
  ELSE
    UPDATE agent_slots s SET ready = v.ready, idle_since = NEW.idle_since
    FROM (VALUES ('email', NEW.status = 'available' AND NEW.load_email < NEW.cap_email),
                 ('sms', NEW.status = 'available' AND NEW.load_sms < NEW.cap_sms)) v(channel, ready)
    WHERE s.agent_id = NEW.id AND s.channel = v.channel
      AND (s.ready OR v.ready) AND (s.ready, s.idle_since) IS DISTINCT FROM (v.ready, NEW.idle_since);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "agents_keep_slots_insert" AFTER INSERT ON "agents" FOR EACH ROW EXECUTE FUNCTION agents_keep_slots();
--> statement-breakpoint
-- Only changes that move a slot: readiness per media type, idle time, workgroups, skills.
CREATE TRIGGER "agents_keep_slots_update" AFTER UPDATE ON "agents" FOR EACH ROW
  WHEN (
    (OLD.status = 'available' AND OLD.load_email < OLD.cap_email) IS DISTINCT FROM (NEW.status = 'available' AND NEW.load_email < NEW.cap_email)
    OR (OLD.status = 'available' AND OLD.load_sms < OLD.cap_sms) IS DISTINCT FROM (NEW.status = 'available' AND NEW.load_sms < NEW.cap_sms)
    OR OLD.idle_since IS DISTINCT FROM NEW.idle_since
    OR OLD.workgroups IS DISTINCT FROM NEW.workgroups
    OR OLD.skills IS DISTINCT FROM NEW.skills
  )
  EXECUTE FUNCTION agents_keep_slots();
--> statement-breakpoint
CREATE FUNCTION "routing_profiles_keep_slots"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM agent_slots_refresh(NULL);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "routing_profiles_keep_slots" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "routing_profiles"
  FOR EACH STATEMENT EXECUTE FUNCTION routing_profiles_keep_slots();
