import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Security event tokens already received (RISC), by a hash of issuer and `jti`: a redelivered or
 * replayed SET is refused on every instance. Rows go once the token would be refused as stale anyway.
 */
export class RiscSeenEvents1764849600000 implements MigrationInterface {
  name = 'RiscSeenEvents1764849600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    const timestamp = postgres ? 'timestamptz' : 'datetime';
    await queryRunner.createTable(
      new Table({
        name: 'risc_seen_events',
        columns: [
          { name: 'jti_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'forget_after', type: timestamp },
        ],
        indices: [
          new TableIndex({
            name: 'ix_risc_seen_events_forget_after',
            columnNames: ['forget_after'],
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('risc_seen_events');
  }
}
