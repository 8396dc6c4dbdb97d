import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The sweep looks for ACTIVE tokens by expiry and by last write. Indexes that lead with the state
 * skip dead grants (REAUTH_REQUIRED, REVOKED) entirely, so however many of those pile up, a sweep
 * reads only the rows it returns.
 */
export class DueTokenIndexes1764662400000 implements MigrationInterface {
  name = 'DueTokenIndexes1764662400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('oauth_tokens', 'ix_oauth_tokens_expires_at');
    await queryRunner.dropIndex('oauth_tokens', 'ix_oauth_tokens_updated_at');
    await queryRunner.createIndex(
      'oauth_tokens',
      new TableIndex({
        name: 'ix_oauth_tokens_state_expires_at',
        columnNames: ['state', 'expires_at'],
      }),
    );
    await queryRunner.createIndex(
      'oauth_tokens',
      new TableIndex({
        name: 'ix_oauth_tokens_state_updated_at',
        columnNames: ['state', 'updated_at'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('oauth_tokens', 'ix_oauth_tokens_state_updated_at');
    await queryRunner.dropIndex('oauth_tokens', 'ix_oauth_tokens_state_expires_at');
    await queryRunner.createIndex(
      'oauth_tokens',
      new TableIndex({ name: 'ix_oauth_tokens_updated_at', columnNames: ['updated_at'] }),
    );
    await queryRunner.createIndex(
      'oauth_tokens',
      new TableIndex({ name: 'ix_oauth_tokens_expires_at', columnNames: ['expires_at'] }),
    );
  }
}
