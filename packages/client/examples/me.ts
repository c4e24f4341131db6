// Run against a started server:
//   SWITCHBOARD_TOKEN=sbp_… node --import tsx packages/client/examples/me.ts
import { createSwitchboardClient } from '../src/index.ts';

const client = createSwitchboardClient({
  url: process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:8787',
  token: process.env.SWITCHBOARD_TOKEN,
});

const me = await client.auth.me.query();
console.log(`Signed in as ${me.user.email}`);
for (const { workspace, role } of me.workspaces)
  console.log(`- ${workspace.name} (${workspace.id}): ${role}`);
