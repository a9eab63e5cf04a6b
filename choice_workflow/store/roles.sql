-- The PostgreSQL roles of a choice_workflow store (docs/security.md).
--
-- The app role (choice_workflow_app): what the agency's services connect as. It reads
--   everything; appends to the log (SELECT, INSERT on events and commands, USAGE of
--   the events' sequence; SELECT, INSERT on the log's Merkle tree); keeps the projections (SELECT, INSERT, UPDATE). Never
--   UPDATE, DELETE or TRUNCATE on events: the log stays append-only even where its
--   triggers were dropped.
-- The auditor role (choice_workflow_auditor): reads everything, writes nothing.
-- PUBLIC: nothing on these tables.
--
-- Both roles are created NOLOGIN when missing: give them to login roles with
--   CREATE ROLE agency_web LOGIN PASSWORD '...' IN ROLE choice_workflow_app;
-- The tables' owner (the role that ran the migrations) keeps its own rights: never let
-- the services connect as it.
--
-- This file is a template: choice_workflow.store.roles.apply_roles fills each
-- placeholder in braces with a quoted identifier or a quoted literal (psycopg.sql),
-- for the role names, the table prefix and the schema it is given.

-- A GRANT or REVOKE by a role that holds some rights on a table but not their grant
-- options only warns and changes nothing: refuse at once unless run by the owner.
DO $$
BEGIN
    IF NOT pg_catalog.pg_has_role(
        (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = {events_name}::regclass),
        'MEMBER'
    ) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = 'permission denied: only the owner of the tables may set up their roles';
    END IF;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {app_name}) THEN
        CREATE ROLE {app} NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {auditor_name}) THEN
        CREATE ROLE {auditor} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object THEN
    NULL;  -- created meanwhile by another session: what we wanted
END
$$;

REVOKE ALL ON {events}, {commands}, {tree}, {grants}, {employers}, {applications}, {cycles}, {awards}, {alembic_version} FROM PUBLIC;
REVOKE ALL ON {events}, {commands}, {tree}, {grants}, {employers}, {applications}, {cycles}, {awards}, {alembic_version} FROM {app}, {auditor};

GRANT SELECT, INSERT ON {events}, {commands}, {tree} TO {app};
GRANT SELECT, INSERT, UPDATE ON {grants}, {employers}, {applications}, {cycles}, {awards} TO {app};
GRANT SELECT ON {alembic_version} TO {app};

GRANT SELECT ON {events}, {commands}, {tree}, {grants}, {employers}, {applications}, {cycles}, {awards}, {alembic_version} TO {auditor};

DO $$
DECLARE
    tables_schema name;
    log_sequence text := pg_catalog.pg_get_serial_sequence({events_name}, 'position');
BEGIN
    SELECT n.nspname INTO tables_schema
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = {events_name}::regclass;
    EXECUTE 'GRANT USAGE ON SCHEMA ' || pg_catalog.quote_ident(tables_schema)
        || ' TO ' || pg_catalog.quote_ident({app_name})
        || ', ' || pg_catalog.quote_ident({auditor_name});
    -- pg_get_serial_sequence returns the sequence's name already quoted.
    IF log_sequence IS NOT NULL THEN
        EXECUTE 'REVOKE ALL ON SEQUENCE ' || log_sequence || ' FROM PUBLIC';
        EXECUTE 'GRANT USAGE ON SEQUENCE ' || log_sequence
            || ' TO ' || pg_catalog.quote_ident({app_name});
        EXECUTE 'GRANT SELECT ON SEQUENCE ' || log_sequence
            || ' TO ' || pg_catalog.quote_ident({auditor_name});
    END IF;
END
$$;
