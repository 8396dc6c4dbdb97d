import {
  Table,
  TableForeignKey,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
  type TableColumnOptions,
} from 'typeorm';

/** The first schema: users, their Google tokens, sessions, sign-ins in progress and the token audit trail. */
export class InitialSchema1764403200000 implements MigrationInterface {
  name = 'InitialSchema1764403200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const columns = new ColumnKit(queryRunner.connection.driver.options.type === 'postgres');

    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          columns.id('id'),
          { name: 'google_sub', type: 'varchar', length: '255', isUnique: true },
          { name: 'email', type: 'varchar', length: '320', isNullable: true },
          { name: 'email_verified', type: 'boolean', default: false },
          { name: 'name', type: 'varchar', length: '255', isNullable: true },
          { name: 'picture', type: 'varchar', length: '2048', isNullable: true },
          columns.createdAt(),
          columns.updatedAt(),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'oauth_tokens',
        columns: [
          columns.id('id'),
          columns.id('user_id', false),
          { name: 'provider', type: 'varchar', length: '32', default: "'google'" },
          { name: 'access_token_ciphertext', type: 'text' },
          { name: 'refresh_token_ciphertext', type: 'text', isNullable: true },
          { name: 'key_id', type: 'varchar', length: '32' },
          { name: 'scopes', type: 'text' },
          { name: 'token_type', type: 'varchar', length: '32', default: "'Bearer'" },
          columns.timestamp('expires_at', true),
          { name: 'state', type: 'varchar', length: '24', default: "'ACTIVE'" },
          { name: 'version', type: 'integer', default: 1 },
          { name: 'refresh_lease_owner', type: 'varchar', length: '64', isNullable: true },
          columns.timestamp('refresh_lease_expires_at', true),
          columns.timestamp('last_refreshed_at', true),
          { name: 'refresh_count', type: 'integer', default: 0 },
          { name: 'last_error_code', type: 'varchar', length: '64', isNullable: true },
          columns.createdAt(),
          columns.updatedAt(),
        ],
        indices: [
          new TableIndex({
            name: 'uq_oauth_tokens_user_provider',
            columnNames: ['user_id', 'provider'],
            isUnique: true,
          }),
          new TableIndex({ name: 'ix_oauth_tokens_expires_at', columnNames: ['expires_at'] }),
        ],
        foreignKeys: [userForeignKey('fk_oauth_tokens_user')],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'sessions',
        columns: [
          { name: 'id_hash', type: 'varchar', length: '64', isPrimary: true },
          columns.id('user_id', false),
          columns.createdAt(),
          columns.timestamp('expires_at', false),
          columns.timestamp('last_seen_at', false),
        ],
        indices: [
          new TableIndex({ name: 'ix_sessions_user_id', columnNames: ['user_id'] }),
          new TableIndex({ name: 'ix_sessions_expires_at', columnNames: ['expires_at'] }),
        ],
        foreignKeys: [userForeignKey('fk_sessions_user')],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'login_states',
        columns: [
          { name: 'state_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'browser_binding_hash', type: 'varchar', length: '64' },
          { name: 'code_verifier_ciphertext', type: 'text' },
          { name: 'nonce_hash', type: 'varchar', length: '64' },
          { name: 'return_to', type: 'varchar', length: '512', default: "'/'" },
          columns.timestamp('expires_at', false),
          columns.createdAt(),
        ],
        indices: [
          new TableIndex({ name: 'ix_login_states_expires_at', columnNames: ['expires_at'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'token_events',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          columns.id('user_id', false),
          { name: 'type', type: 'varchar', length: '32' },
          { name: 'code', type: 'varchar', length: '64', isNullable: true },
          { name: 'detail', type: 'varchar', length: '255', isNullable: true },
          columns.createdAt(),
        ],
        indices: [
          new TableIndex({
            name: 'ix_token_events_user_created',
            columnNames: ['user_id', 'created_at'],
          }),
        ],
        foreignKeys: [userForeignKey('fk_token_events_user')],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['token_events', 'login_states', 'sessions', 'oauth_tokens', 'users']) {
      await queryRunner.dropTable(table);
    }
  }
}

function userForeignKey(name: string): TableForeignKey {
  return new TableForeignKey({
    name,
    columnNames: ['user_id'],
    referencedTableName: 'users',
    referencedColumnNames: ['id'],
    onDelete: 'CASCADE',
  });
}

/** Column shapes that differ between PostgreSQL (timestamptz, now()) and SQLite (datetime, datetime('now')). */
class ColumnKit {
  constructor(private readonly postgres: boolean) {}

  id(name: string, primary = true): TableColumnOptions {
    return { name, type: 'varchar', length: '36', isPrimary: primary };
  }

  timestamp(name: string, nullable: boolean): TableColumnOptions {
    return { name, type: this.postgres ? 'timestamptz' : 'datetime', isNullable: nullable };
  }

  createdAt(): TableColumnOptions {
    return { ...this.timestamp('created_at', false), default: this.now() };
  }

  updatedAt(): TableColumnOptions {
    return { ...this.timestamp('updated_at', false), default: this.now() };
  }

  private now(): string {
    return this.postgres ? 'now()' : "(datetime('now'))";
  }
}
