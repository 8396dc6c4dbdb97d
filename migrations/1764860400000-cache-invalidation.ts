import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables whose rows instances keep in memory, and the column each notice names. */
const CACHED_TABLES = [
  { table: 'sessions', key: 'id_hash' },
  { table: 'users', key: 'id' },
  { table: 'oauth_tokens', key: 'user_id' },
] as const;

/**
 * On PostgreSQL, every update or delete of a cached row is announced on the channel
 * `tokenkeep_cache` as `<table>:<key>`, and a TRUNCATE as `<table>:*`, whoever writes it (an
 * instance, a script, psql): see CacheCoherence. SQLite has no cache, so nothing changes there.
 */
export class CacheInvalidation1764860400000 implements MigrationInterface {
  name = 'CacheInvalidation1764860400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type !== 'postgres') return;
    await queryRunner.query(`
      CREATE FUNCTION tokenkeep_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('tokenkeep_cache', TG_TABLE_NAME || ':' || (to_jsonb(OLD) ->> TG_ARGV[0]));
        RETURN NULL;
      END $$`);
    // Row triggers do not fire on TRUNCATE.
    await queryRunner.query(`
      CREATE FUNCTION tokenkeep_table_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('tokenkeep_cache', TG_TABLE_NAME || ':*');
        RETURN NULL;
      END $$`);
    for (const { table, key } of CACHED_TABLES) {
      await queryRunner.query(
        `CREATE TRIGGER tr_${table}_changed AFTER UPDATE OR DELETE ON ${table}` +
          ` FOR EACH ROW EXECUTE FUNCTION tokenkeep_row_changed('${key}')`,
      );
      await queryRunner.query(
        `CREATE TRIGGER tr_${table}_emptied AFTER TRUNCATE ON ${table}` +
          ' FOR EACH STATEMENT EXECUTE FUNCTION tokenkeep_table_emptied()',
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type !== 'postgres') return;
    for (const { table } of CACHED_TABLES) {
      await queryRunner.query(`DROP TRIGGER tr_${table}_emptied ON ${table}`);
      await queryRunner.query(`DROP TRIGGER tr_${table}_changed ON ${table}`);
    }
    await queryRunner.query('DROP FUNCTION tokenkeep_table_emptied()');
    await queryRunner.query('DROP FUNCTION tokenkeep_row_changed()');
  }
}
