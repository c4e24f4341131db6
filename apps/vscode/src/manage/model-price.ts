import * as vscode from 'vscode';

// A custom model's optional price, asked in one input box as the console's two fields would hold
// it (decision 0032): USD per million tokens, input then output. Empty is "no price", which is
// not 0: a key with a monthly budget may not call a model without one.

/** A price as `models.addCustom` takes it. */
export interface PriceInput {
  inputPerMillion: number;
  outputPerMillion?: number;
}

const AMOUNT = /^\d+(\.\d+)?$/;

/** The price typed (`0.5` or `0.5, 1.5`): null for none, or a message naming what is wrong. */
export function parsePrice(text: string): PriceInput | null | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const parts = trimmed.split(/\s*,\s*/);
  if (parts.length > 2 || parts.some((part) => !AMOUNT.test(part)))
    return {
      problem: vscode.l10n.t(
        'Type the USD per million input tokens, then optionally a comma and the output price (0.5, 1.5)',
      ),
    };
  const [input, output] = parts.map(Number) as [number, number | undefined];
  return output === undefined
    ? { inputPerMillion: input }
    : { inputPerMillion: input, outputPerMillion: output };
}

/** Asks a new model's price; undefined when cancelled, null for no price. */
export async function askPrice(model: string, type: string): Promise<PriceInput | null | undefined> {
  // Only chat models report output tokens.
  const inputOnly = type !== 'llm';
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Price of {0} (optional)', model),
    prompt: inputOnly
      ? vscode.l10n.t(
          'USD per million input tokens; leave empty for no price (a key with a budget cannot use it)',
        )
      : vscode.l10n.t(
          'USD per million tokens, input then output (0.5, 1.5); leave empty for no price (a key with a budget cannot use it)',
        ),
    placeHolder: inputOnly ? '0.02' : '0.5, 1.5',
    ignoreFocusOut: true,
    validateInput: (value) => {
      const price = parsePrice(value);
      return price !== null && 'problem' in price ? price.problem : undefined;
    },
  });
  if (text === undefined) return undefined;
  const price = parsePrice(text);
  return price !== null && 'problem' in price ? undefined : price;
}
