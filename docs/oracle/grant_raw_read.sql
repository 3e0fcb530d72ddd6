-- docs/oracle/grant_raw_read.sql: let dbt's user read every raw table. Run as WMS_RAW (SQL*Plus or SQLcl):
--   sql wms_raw@//<host>:1521/<service> @docs/oracle/grant_raw_read.sql
--
-- Why: dbt builds views (staging, intermediate) on the raw tables, and "the owner of the schema
-- containing the view must have the privileges necessary to select ... from all tables or views on
-- which the view is based. The owner must be granted these privileges directly, rather than through a
-- role" (Oracle SQL Language Reference, CREATE VIEW, Prerequisites). So WMS needs SELECT on each
-- WMS_RAW table, granted to WMS itself. The loader creates a raw table when a stream first appears,
-- so each new table needs this grant before dbt reads it. With the loader's setting
-- grant_select_to: [WMS] the loader grants it as it creates the table; this script is for tables
-- created without that setting, and is safe to rerun (docs/oracle.md, "New raw tables need a grant").
--
-- Idempotent: granting a privilege the grantee already holds changes nothing. The owner of an object
-- may grant privileges on it without any system privilege (SQL Language Reference, GRANT, Prerequisites).
-- Only SELECT: dbt never writes to WMS_RAW.
BEGIN
  FOR raw_table IN (SELECT table_name FROM user_tables WHERE dropped = 'NO' AND temporary = 'N') LOOP
    EXECUTE IMMEDIATE 'GRANT SELECT ON "' || raw_table.table_name || '" TO WMS';
  END LOOP;
END;
/
