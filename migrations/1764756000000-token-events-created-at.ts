import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Old token events are deleted by age (TOKEN_EVENTS_RETENTION_DAYS): the oldest are found through this index. */
export class TokenEventsCreatedAt1764756000000 implements MigrationInterface {
  name = 'TokenEventsCreatedAt1764756000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'token_events',
      new TableIndex({ name: 'ix_token_events_created_at', columnNames: ['created_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('token_events', 'ix_token_events_created_at');
  }
}
