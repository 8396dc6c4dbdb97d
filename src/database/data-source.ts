// The data source the TypeORM CLI uses (`npm run migration:run`, `migration:generate`).
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config.js';
import { readEnvironment } from '../config/environment.js';
import { dataSourceOptions } from './data-source-options.js';

export default new DataSource(dataSourceOptions(loadConfig(readEnvironment()).database, 1));
