import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * After a failed refresh, instances leave Google alone for a while instead of all retrying at once;
 * and grants idle for long are found through an index on updated_at.
 */
export class RefreshCooldown1764489600000 implements MigrationInterface {
  name = 'RefreshCooldown1764489600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    await queryRunner.addColumn(
      'oauth_tokens',
      new TableColumn({
        name: 'refresh_cooldown_until',
        type: postgres ? 'timestamptz' : 'datetime',
        isNullable: true,
      }),
    );
    await queryRunner.createIndex(
      'oauth_tokens',
      new TableIndex({ name: 'ix_oauth_tokens_updated_at', columnNames: ['updated_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('oauth_tokens', 'ix_oauth_tokens_updated_at');
    await queryRunner.dropColumn('oauth_tokens', 'refresh_cooldown_until');
  }
}
