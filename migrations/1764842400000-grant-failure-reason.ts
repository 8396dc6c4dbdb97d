import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Why a grant died (GrantFailureReason); NULL while it lives and on rows that died before this column. */
export class GrantFailureReason1764842400000 implements MigrationInterface {
  name = 'GrantFailureReason1764842400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'oauth_tokens',
      new TableColumn({ name: 'failure_reason', type: 'varchar', length: '32', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('oauth_tokens', 'failure_reason');
  }
}
