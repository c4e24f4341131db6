// A test-only extension: another extension using the workspace's models through vscode.lm, as
// VS Code's chat or any extension would. Each command writes what it saw to ~/lm-probe/NAME.json
// (the e2e test reads it) and shows it in an editor (the screenshots).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vscode = require('vscode');

const VENDOR = 'switchboard';

function save(name, value) {
  const dir = path.join(os.homedir(), 'lm-probe');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}

async function show(text) {
  const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: text });
  return vscode.window.showTextDocument(document, { preview: false });
}

async function list() {
  try {
    const models = await vscode.lm.selectChatModels({ vendor: VENDOR });
    const listed = models.map((model) => ({
      id: model.id,
      name: model.name,
      vendor: model.vendor,
      family: model.family,
      version: model.version,
      maxInputTokens: model.maxInputTokens,
    }));
    save('list', { models: listed });
    const lines = listed.map(
      (model) => `- ${model.name} (\`${model.id}\`, ${model.maxInputTokens} input tokens)`,
    );
    await show(`# vscode.lm.selectChatModels({ vendor: '${VENDOR}' })\n\n${lines.join('\n')}\n`);
  } catch (error) {
    save('list', { error: String(error?.message ?? error) });
  }
}

async function ask() {
  try {
    const [model] = await vscode.lm.selectChatModels({ vendor: VENDOR, id: 'openai/gpt-4o-mini' });
    if (!model) throw new Error('openai/gpt-4o-mini is not offered');
    const editor = await show(`# ${model.name} through vscode.lm\n\n> Say hello\n\n`);
    const response = await model.sendRequest(
      [vscode.LanguageModelChatMessage.User('Say hello')],
      {},
      new vscode.CancellationTokenSource().token,
    );
    const chunks = [];
    for await (const chunk of response.text) {
      chunks.push(chunk);
      const end = editor.document.lineAt(editor.document.lineCount - 1).range.end;
      await editor.edit((builder) => builder.insert(end, chunk));
    }
    save('ask', { model: model.id, chunks });
  } catch (error) {
    save('ask', { error: String(error?.message ?? error) });
  }
}

exports.activate = (context) => {
  context.subscriptions.push(
    vscode.commands.registerCommand('lmProbe.list', list),
    vscode.commands.registerCommand('lmProbe.ask', ask),
  );
};
