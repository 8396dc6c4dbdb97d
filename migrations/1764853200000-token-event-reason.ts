import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Why the grant died (GrantFailureReason) on REAUTH_REQUIRED and REFRESH_FAILED events; NULL otherwise. */
export class TokenEventReason1764853200000 implements MigrationInterface {
  name = 'TokenEventReason1764853200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'token_events',
      new TableColumn({ name: 'reason', type: 'varchar', length: '32', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('token_events', 'reason');
  }
}
