import {
  TableColumn,
  TableForeignKey,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';

/**
 * An API token is a session minted from a signed-in one, its parent: it records the parent's id
 * hash, and goes with it when the parent ends (ON DELETE CASCADE, indexed for that delete).
 * Sessions from before have no parent recorded; they keep their own end (at most the absolute
 * session timeout away).
 */
export class SessionParents1764748800000 implements MigrationInterface {
  name = 'SessionParents1764748800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'sessions',
      new TableColumn({ name: 'parent_id_hash', type: 'varchar', length: '64', isNullable: true }),
    );
    await queryRunner.createForeignKey(
      'sessions',
      new TableForeignKey({
        name: 'fk_sessions_parent',
        columnNames: ['parent_id_hash'],
        referencedTableName: 'sessions',
        referencedColumnNames: ['id_hash'],
        onDelete: 'CASCADE',
      }),
    );
    await queryRunner.createIndex(
      'sessions',
      new TableIndex({ name: 'ix_sessions_parent_id_hash', columnNames: ['parent_id_hash'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('sessions', 'ix_sessions_parent_id_hash');
    await queryRunner.dropForeignKey('sessions', 'fk_sessions_parent');
    await queryRunner.dropColumn('sessions', 'parent_id_hash');
  }
}
