// The AWS SDK for JavaScript v3 against incidentd's ssm-contacts: a contact, a rotation and its shifts.
// Reads INCIDENTD_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION; prints one JSON object.
// The account must already have a replication set. Run by tests/api/test_cli_and_sdks.py.
import {
  CreateContactCommand,
  CreateRotationCommand,
  GetContactCommand,
  ListContactsCommand,
  ListRotationShiftsCommand,
  SSMContactsClient,
} from "@aws-sdk/client-ssm-contacts";

const client = new SSMContactsClient({
  endpoint: process.env.INCIDENTD_ENDPOINT,
  region: process.env.AWS_REGION ?? "us-east-1",
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
  },
  maxAttempts: 1,
});

const { ContactArn } = await client.send(
  new CreateContactCommand({ Alias: "js-akua", DisplayName: "Akua from JS", Type: "PERSONAL", Plan: { Stages: [] } }),
);
const contact = await client.send(new GetContactCommand({ ContactId: ContactArn }));
const listed = await client.send(new ListContactsCommand({}));

const start = new Date(Date.UTC(2030, 0, 7, 9, 0, 0)); // a Monday, 09:00 UTC
const { RotationArn } = await client.send(
  new CreateRotationCommand({
    Name: "js-rotation",
    ContactIds: [ContactArn],
    StartTime: start,
    TimeZoneId: "UTC",
    Recurrence: { NumberOfOnCalls: 1, RecurrenceMultiplier: 1, DailySettings: [{ HourOfDay: 9, MinuteOfHour: 0 }] },
  }),
);
const shifts = await client.send(
  new ListRotationShiftsCommand({
    RotationId: RotationArn,
    StartTime: start,
    EndTime: new Date(start.getTime() + 2 * 86_400_000),
  }),
);

console.log(
  JSON.stringify({
    contactArn: ContactArn,
    displayName: contact.DisplayName,
    aliases: listed.Contacts.map((c) => c.Alias),
    shifts: shifts.RotationShifts.map((s) => ({
      start: s.StartTime instanceof Date ? s.StartTime.toISOString() : null,
      end: s.EndTime instanceof Date ? s.EndTime.toISOString() : null,
      contacts: s.ContactIds,
    })),
  }),
);
