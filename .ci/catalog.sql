-- Every object of a database outside PostgreSQL's own schemas, one per line:
-- ./dev tier install compares this list before the install of odoo_ha_addon
-- and after its uninstall (on a copy), so anything the addon leaves behind,
-- or removes that was there before, shows up as a difference.
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
     WHERE nspname NOT IN ('pg_catalog', 'information_schema')
       AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp%'
)
SELECT 'schema ' || nspname FROM ns
UNION ALL
SELECT 'relation(' || c.relkind::text || ') ' || ns.nspname || '.' || c.relname
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
UNION ALL
SELECT 'column ' || ns.nspname || '.' || c.relname || '.' || a.attname
       || ' ' || format_type(a.atttypid, a.atttypmod)
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN ns ON ns.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0
   AND NOT a.attisdropped
UNION ALL
SELECT 'constraint ' || ns.nspname || '.' || con.conname
       || ' ON ' || con.conrelid::regclass::text
  FROM pg_constraint con JOIN ns ON ns.oid = con.connamespace
UNION ALL
SELECT 'function ' || ns.nspname || '.' || p.proname
       || '(' || pg_get_function_identity_arguments(p.oid) || ')'
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
UNION ALL
SELECT 'trigger ' || t.tgname || ' ON ' || t.tgrelid::regclass::text
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  JOIN ns ON ns.oid = c.relnamespace
 WHERE NOT t.tgisinternal
UNION ALL
SELECT 'type ' || ns.nspname || '.' || t.typname
  FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
 WHERE t.typtype IN ('d', 'e', 'r', 'm')
UNION ALL
SELECT 'extension ' || extname FROM pg_extension
ORDER BY 1;
