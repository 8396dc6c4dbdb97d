import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Scopes as data: what the app asked each user for (so the scopes asked and not granted can be
 * shown), and, on a sign-in in progress, the scopes it asks for and whether it forced consent.
 */
export class RequestedScopes1764846000000 implements MigrationInterface {
  name = 'RequestedScopes1764846000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'oauth_tokens',
      new TableColumn({ name: 'requested_scopes', type: 'text', isNullable: true }),
    );
    await queryRunner.addColumns('login_states', [
      new TableColumn({ name: 'requested_scopes', type: 'text', isNullable: true }),
      new TableColumn({ name: 'prompted_consent', type: 'boolean', default: false }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('login_states', ['requested_scopes', 'prompted_consent']);
    await queryRunner.dropColumn('oauth_tokens', 'requested_scopes');
  }
}
