import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Revocations Google has not confirmed yet: retried until it does, after the tokens are gone from oauth_tokens. */
export class PendingRevocations1764576000000 implements MigrationInterface {
  name = 'PendingRevocations1764576000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    const timestamp = postgres ? 'timestamptz' : 'datetime';
    await queryRunner.createTable(
      new Table({
        name: 'pending_revocations',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'token_ciphertext', type: 'text' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'next_attempt_at', type: timestamp },
          { name: 'last_error', type: 'varchar', length: '64', isNullable: true },
          {
            name: 'created_at',
            type: timestamp,
            default: postgres ? 'now()' : "(datetime('now'))",
          },
        ],
        indices: [
          new TableIndex({
            name: 'ix_pending_revocations_next_attempt_at',
            columnNames: ['next_attempt_at'],
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('pending_revocations');
  }
}
