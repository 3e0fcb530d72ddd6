{#- Unset WMS text arrives as ''. Oracle stores '' as NULL, so every warehouse turns empty and
    all-blank text into NULL for the three to agree; other values pass through untouched (on
    Oracle: up to wms_oracle_text_max_chars() characters, below). -#}
{% macro wms_empty_as_null(expr) -%}
    {{ return(adapter.dispatch('wms_empty_as_null', 'wms')(expr)) }}
{%- endmacro %}

{% macro default__wms_empty_as_null(expr) -%}
    case when trim({{ expr }}) = '' or trim({{ expr }}) is null then null else {{ expr }} end
{%- endmacro %}

{#- Oracle: the loader turns a raw text column into a CLOB once a value exceeds 4000 bytes, and SQL
    cannot compare, GROUP BY or DISTINCT a LOB (ORA-00932; SecureFiles and Large Objects Developer's
    Guide, "SQL Semantics and LOBs"). So the text becomes a VARCHAR2 first, from a VARCHAR2 column or
    a CLOB alike: SUBSTR takes both (and returns a CLOB for a CLOB), TO_CHAR makes that a VARCHAR2,
    which must fit in 4000 bytes (MAX_STRING_SIZE=STANDARD; a longer one is ORA-22835). In AL32UTF8 a
    character takes up to 4 bytes, so 1000 characters always fit; DBMS_LOB.SUBSTR(x, 4000) would not
    (ORA-06502 on multi-byte text). The fixed VARCHAR2(1000 CHAR) type also keeps the staging
    columns' types unchanged when the loader widens or converts a raw column, so the incremental
    facts' on_schema_change='fail' is not tripped. trim('  ') is already NULL on Oracle. -#}
{% macro oracle__wms_empty_as_null(expr) -%}
    {%- set text = "cast(to_char(substr(" ~ expr ~ ", 1, " ~ wms_oracle_text_max_chars() ~ ")) as varchar2(" ~ wms_oracle_text_max_chars() ~ " char))" -%}
    case when trim({{ text }}) is null then null else {{ text }} end
{%- endmacro %}

{#- The most characters of one raw text value the Oracle models see (raw history keeps all of it). -#}
{% macro wms_oracle_text_max_chars() -%}
    {{ return(1000) }}
{%- endmacro %}
