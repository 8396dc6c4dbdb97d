import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/** After a failed refresh, instances leave Google alone for a while instead of all retrying at once. */
export class RefreshCooldown1764489600000 implements MigrationInterface {
  name = 'RefreshCooldown1764489600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    await queryRunner.addColumn(
      'oauth_tokens',
      new TableColumn({ name: 'refresh_cooldown_until', type: postgres ? 'timestamptz' : 'datetime', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('oauth_tokens', 'refresh_cooldown_until');
  }
}
