import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The lifetime Google gave each access token (its `expires_in`), so a token fresh from Google
 * counts as fresh even when it lives shorter than the refresh leeway. Rows written before this
 * keep NULL (the leeway applies uncapped) until their next refresh or sign-in.
 */
export class TokenLifetime1764752400000 implements MigrationInterface {
  name = 'TokenLifetime1764752400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'oauth_tokens',
      new TableColumn({ name: 'lifetime_seconds', type: 'integer', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('oauth_tokens', 'lifetime_seconds');
  }
}
