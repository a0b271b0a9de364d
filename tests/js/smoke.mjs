// The AWS SDK for JavaScript v3 against incidentd: create a plan, start an incident, read it back, list by status.
// Reads INCIDENTD_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION; prints one JSON object.
// The account must already have a replication set. Run by tests/api/test_cli_and_sdks.py.
import {
  CreateResponsePlanCommand,
  GetIncidentRecordCommand,
  ListIncidentRecordsCommand,
  SSMIncidentsClient,
  StartIncidentCommand,
} from "@aws-sdk/client-ssm-incidents";

const client = new SSMIncidentsClient({
  endpoint: process.env.INCIDENTD_ENDPOINT,
  region: process.env.AWS_REGION ?? "us-east-1",
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
  },
  maxAttempts: 1,
});

// The SDK turns wire timestamps into Date objects; report what it made of them.
const describeTime = (value) => ({ isDate: value instanceof Date, epochMs: value?.getTime?.() ?? null });

const statusFilter = (status) => [{ key: "status", condition: { equals: { stringValues: [status] } } }];

const listArns = async (status) => {
  const page = await client.send(new ListIncidentRecordsCommand({ filters: statusFilter(status) }));
  return page.incidentRecordSummaries.map((summary) => summary.arn);
};

const plan = await client.send(
  new CreateResponsePlanCommand({
    name: "js-smoke",
    displayName: "JS SDK smoke test",
    incidentTemplate: { title: "Raised from JavaScript", impact: 2 },
  }),
);
const started = await client.send(new StartIncidentCommand({ responsePlanArn: plan.arn }));
const { incidentRecord } = await client.send(new GetIncidentRecordCommand({ arn: started.incidentRecordArn }));

console.log(
  JSON.stringify({
    planArn: plan.arn,
    incidentRecordArn: started.incidentRecordArn,
    title: incidentRecord.title,
    impact: incidentRecord.impact,
    status: incidentRecord.status,
    creationTime: describeTime(incidentRecord.creationTime),
    lastModifiedTime: describeTime(incidentRecord.lastModifiedTime),
    openArns: await listArns("OPEN"),
    resolvedArns: await listArns("RESOLVED"),
  }),
);
