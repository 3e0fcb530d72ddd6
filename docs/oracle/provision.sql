-- docs/oracle/provision.sql: the Oracle users, roles and privileges of the WMS sync (docs/oracle.md).
--
-- Run ONCE, as a DBA, in the pluggable database that holds the warehouse (SQL*Plus or SQLcl):
--
--   sql sys@//<host>:1521/<service> as sysdba
--   SQL> DEFINE wms_raw_password = '<the loader's password>'
--   SQL> DEFINE wms_password     = '<dbt's password>'
--   SQL> DEFINE wms_tablespace   = USERS
--   SQL> @docs/oracle/provision.sql
--
-- A value not DEFINEd before is asked for (and then shown as you type it; DEFINE it to avoid that).
-- SET VERIFY OFF keeps the passwords out of the echoed statements. Run it again only after dropping
-- the users (DROP USER ... CASCADE): CREATE USER fails for an existing user, and the script stops there.
--
-- The design, and why (each privilege is cited where it is granted):
--   WMS_RAW  owns the raw schema: the raw history tables and the etl_* bookkeeping tables. The loader
--            (target-warehouse) and the DAG's full-sync bookkeeping (etl_full_sync_complete) log in
--            as WMS_RAW: an owner needs no ANY privilege to create, alter, fill and grant its tables.
--   WMS      owns dbt's schema: staging and intermediate views, dimension, fact and mart tables. dbt
--            (and the DAG's SQL checks) log in as WMS. Its views read WMS_RAW's tables, so WMS holds
--            SELECT on each of them, granted directly (not through a role) by the loader as it
--            creates each table (grant_select_to), or by grant_raw_read.sql.
--   WMS_MARTS_READ  a role for the people and tools that read the results (SELECT on the dimensions,
--            facts and marts). dbt re-creates those tables on every run, which drops their grants, so
--            the grants come from dbt's `grants` config (dbt-oracle 1.12 applies it after each build:
--            macros/apply_grants.sql), not from this script.
--
-- What is NOT granted, on purpose: no ANY privilege (CREATE/ALTER/DROP/INSERT/SELECT ANY TABLE...:
-- they reach every schema of the database); no UNLIMITED TABLESPACE (a quota on one tablespace
-- instead); no ALTER SESSION (the loader's ALTER SESSION SET TIME_ZONE / DDL_LOCK_TIMEOUT need none);
-- no CREATE PROCEDURE, TRIGGER, SEQUENCE, SYNONYM or JOB (nothing uses them); no RESOURCE, CONNECT or
-- DBA role; nothing on WMS_RAW to the marts role; nothing that lets WMS write to WMS_RAW.

WHENEVER SQLERROR EXIT SQL.SQLCODE
SET VERIFY OFF

-- The loader's user: owner of the raw schema ---------------------------------------------------------
-- CREATE USER ... QUOTA: "the owner of the schema to contain the table must have either space quota on
-- the tablespace to contain the table or the UNLIMITED TABLESPACE system privilege" (SQL Language
-- Reference, CREATE TABLE, Prerequisites).
CREATE USER wms_raw IDENTIFIED BY "&&wms_raw_password"
  DEFAULT TABLESPACE &&wms_tablespace
  QUOTA UNLIMITED ON &&wms_tablespace;
-- CREATE SESSION: to connect at all. CREATE TABLE: "To create a relational table in your own schema, you
-- must have the CREATE TABLE system privilege" (CREATE TABLE, Prerequisites); it also covers the
-- loader's ALTER TABLE ... ADD/MODIFY/RENAME COLUMN on its own tables (ALTER TABLE, Prerequisites: "The
-- table must be in your own schema, or you must have ALTER object privilege on the table, or you must
-- have ALTER ANY TABLE"), and its CREATE PRIVATE TEMPORARY TABLE ora$ptt_... staging tables, which are
-- CREATE TABLE statements in its own schema, held in its temporary tablespace (no quota needed there).
-- GRANT SELECT ON its own tables needs no privilege: "To grant an object privilege, you must own the
-- object" (GRANT, Prerequisites).
GRANT CREATE SESSION, CREATE TABLE TO wms_raw;

-- dbt's user: owner of the models' schema ------------------------------------------------------------
CREATE USER wms IDENTIFIED BY "&&wms_password"
  DEFAULT TABLESPACE &&wms_tablespace
  QUOTA UNLIMITED ON &&wms_tablespace;
-- CREATE TABLE: dbt-oracle's table, incremental (CREATE TABLE ... AS SELECT, MERGE, ALTER TABLE ...
-- RENAME TO, DROP) and its o$pt_ global temporary tables, all in WMS's own schema. CREATE VIEW: the
-- staging and intermediate models ("the CREATE VIEW system privilege (to create a view in your schema)",
-- Security Guide, Privileges Required to Create Views).
GRANT CREATE SESSION, CREATE TABLE, CREATE VIEW TO wms;
-- The other half of "Privileges Required to Create Views": "You must be explicitly granted ... the
-- SELECT ... object privileges on all base objects underlying the view" - explicitly, so not through
-- a role (SQL Language Reference, CREATE VIEW: "The owner must be granted these privileges directly,
-- rather than through a role"). The raw tables do not exist yet (the loader creates each on the first
-- load of its stream), so the grant is made by the loader as it creates each table (its setting
-- grant_select_to: [WMS]), or by docs/oracle/grant_raw_read.sql run as WMS_RAW for tables created
-- without it (docs/oracle.md, "New raw tables need a grant").

-- Readers of the results -------------------------------------------------------------------------------
CREATE ROLE wms_marts_read;
-- Grant it to the people or reporting users who read the marts, e.g.:  GRANT wms_marts_read TO <user>;
-- On 23ai and later, one schema privilege covers every table dbt builds there, rebuilt or new:
--   GRANT SELECT ANY TABLE ON SCHEMA wms TO wms_marts_read;
-- On 19c the product does not grant the role yet: dbt rebuilds each table model every run, and a grant
-- goes with the table it was made on (docs/oracle.md).

PROMPT Provisioned: users WMS_RAW (loader) and WMS (dbt), role WMS_MARTS_READ. Next: docs/oracle.md.
