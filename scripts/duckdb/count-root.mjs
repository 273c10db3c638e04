// What a user would reach for in DuckDB: read every CloudTrail file with
// read_json, unnest the records, keep root's. Prints the count.
//
//   node count-root.mjs 'DIR/**/*.json.gz'
import { DuckDBInstance } from '@duckdb/node-api';

const [glob] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const reader = await con.runAndReadAll(`
  SELECT count(*) AS n
  FROM (SELECT unnest(Records) AS r FROM read_json('${glob.replaceAll("'", "''")}', columns={Records: 'JSON[]'}, format='auto'))
  WHERE r->>'$.userIdentity.type' = 'Root'`);
process.stdout.write(String(reader.getRows()[0][0]) + '\n');
