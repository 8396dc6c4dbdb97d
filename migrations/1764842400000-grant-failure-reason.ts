import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * What Google's rules for long-lived grants need: why a grant died (GrantFailureReason; NULL while
 * it lives), when the held refresh token was issued (Testing-mode apps lose it 7 days later), and
 * how many refresh tokens were minted for the user (Google keeps only the newest 100).
 */
export class GrantFailureReason1764842400000 implements MigrationInterface {
  name = 'GrantFailureReason1764842400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    await queryRunner.addColumns('oauth_tokens', [
      new TableColumn({ name: 'failure_reason', type: 'varchar', length: '32', isNullable: true }),
      new TableColumn({
        name: 'refresh_token_issued_at',
        type: postgres ? 'timestamptz' : 'datetime',
        isNullable: true,
      }),
      new TableColumn({ name: 'refresh_tokens_minted', type: 'integer', default: 0 }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('oauth_tokens', [
      'failure_reason',
      'refresh_token_issued_at',
      'refresh_tokens_minted',
    ]);
  }
}
