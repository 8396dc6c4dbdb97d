import type { DataSource, EntityMetadata, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';

/**
 * A hot read written once as SQL, with TypeORM's own per-column conversions: building the same
 * query through a repository costs more CPU than the database spends answering it.
 */
export class RawSelect<Entity extends ObjectLiteral> {
  private readonly metadata: EntityMetadata;
  /** The stored columns, as TypeORM's own result mapping takes them. */
  private readonly stored: ColumnMetadata[];

  constructor(
    private readonly dataSource: DataSource,
    entity: new () => Entity,
    /** The table alias in the SQL; it also prefixes each column's name in the result row. */
    readonly alias: string,
  ) {
    this.metadata = dataSource.getMetadata(entity);
    this.stored = this.metadata.columns.filter((column) => !column.isVirtual);
  }

  /** `alias.column AS alias_column, …` for every column of the entity. */
  columns(): string {
    const { driver } = this.dataSource;
    return this.stored
      .map(
        (column) =>
          `${this.alias}.${driver.escape(column.databaseName)} AS ${driver.escape(this.key(column.databaseName))}`,
      )
      .join(', ');
  }

  /** `table alias`, for the FROM or JOIN clause. */
  from(): string {
    return `${this.dataSource.driver.escape(this.metadata.tableName)} ${this.alias}`;
  }

  /** The entity in a result row, or null when the row holds none (an outer join that found nothing). */
  hydrate(row: Record<string, unknown>): Entity | null {
    const { driver } = this.dataSource;
    const primary = this.metadata.primaryColumns[0];
    if (primary && row[this.key(primary.databaseName)] == null) return null;
    const entity = this.metadata.create() as Entity;
    for (const column of this.stored) {
      const value: unknown = driver.prepareHydratedValue(
        row[this.key(column.databaseName)],
        column,
      );
      column.setEntityValue(entity, value);
    }
    return entity;
  }

  /** The driver's placeholder for the parameter at `index` (0-based): `$1` or `?`. */
  static parameter(dataSource: DataSource, index: number): string {
    return dataSource.driver.createParameter(`p${index}`, index);
  }

  private key(columnName: string): string {
    return `${this.alias}_${columnName}`;
  }
}
