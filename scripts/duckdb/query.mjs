// Runs SQL written for Amazon Athena on DuckDB, over CloudTrail log files
// presented as a table shaped like the one AWS documents for Athena
// (cloudtrail_logs: useridentity a struct, requestparameters,
// responseelements and additionaleventdata JSON text, "$path" the file).
// A few macros give DuckDB the Trino functions the query uses.
//
//   node query.mjs QUERY.sql 'DIR/**/*.json*'   -> one JSON object per row
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const [sqlFile, glob] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const run = (sql) => con.run(sql);

// Trino functions DuckDB lacks, with Trino's results (json_extract_scalar
// is NULL for objects, arrays and malformed JSON).
await run(`CREATE MACRO json_extract_scalar(j, p) AS
  CASE WHEN json_type(try(json_extract(j, p))) IN ('OBJECT', 'ARRAY') THEN NULL ELSE try(json_extract_string(j, p)) END`);
await run(`CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)`);
await run(`CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)`);

// Athena's CloudTrail table. A JSON null or a missing object is NULL, as
// Athena's SerDe has it.
const obj = (p) => `CASE WHEN json_type(json_extract(r, '${p}')) IN ('NULL') OR json_extract(r, '${p}') IS NULL THEN NULL ELSE json_extract(r, '${p}')::VARCHAR END`;
const str = (p) => `r->>'${p}'`;
await run(`CREATE VIEW cloudtrail_logs AS
SELECT ${str('$.eventVersion')} AS eventversion,
  {type: ${str('$.userIdentity.type')}, principalid: ${str('$.userIdentity.principalId')}, arn: ${str('$.userIdentity.arn')},
   accountid: ${str('$.userIdentity.accountId')}, invokedby: ${str('$.userIdentity.invokedBy')}, accesskeyid: ${str('$.userIdentity.accessKeyId')},
   username: ${str('$.userIdentity.userName')},
   sessioncontext: {attributes: {mfaauthenticated: ${str('$.userIdentity.sessionContext.attributes.mfaAuthenticated')},
                                 creationdate: ${str('$.userIdentity.sessionContext.attributes.creationDate')}},
                    sessionissuer: {type: ${str('$.userIdentity.sessionContext.sessionIssuer.type')}, arn: ${str('$.userIdentity.sessionContext.sessionIssuer.arn')}}}} AS useridentity,
  ${str('$.eventTime')} AS eventtime, ${str('$.eventSource')} AS eventsource, ${str('$.eventName')} AS eventname,
  ${str('$.awsRegion')} AS awsregion, ${str('$.sourceIPAddress')} AS sourceipaddress, ${str('$.userAgent')} AS useragent,
  ${str('$.errorCode')} AS errorcode, ${str('$.errorMessage')} AS errormessage,
  ${obj('$.requestParameters')} AS requestparameters, ${obj('$.responseElements')} AS responseelements,
  ${obj('$.additionalEventData')} AS additionaleventdata,
  ${str('$.requestID')} AS requestid, ${str('$.eventID')} AS eventid, ${str('$.readOnly')} AS readonly,
  ${str('$.eventType')} AS eventtype, ${str('$.recipientAccountId')} AS recipientaccountid,
  ${str('$.sessionCredentialFromConsole')} AS sessioncredentialfromconsole,
  filename AS "$path"
FROM (SELECT unnest(Records) AS r, filename FROM read_json('${glob.replaceAll("'", "''")}', columns={Records: 'JSON[]'}, format='auto', filename=true))`);

const reader = await con.runAndReadAll(readFileSync(sqlFile, 'utf8'));
const names = reader.columnNames();
for (const row of reader.getRows()) {
  const out = {};
  names.forEach((n, i) => { out[n] = row[i] === null ? '' : String(row[i]); });
  process.stdout.write(JSON.stringify(out) + '\n');
}
