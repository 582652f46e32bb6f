// Shows a new tenant's API key the one time the API returns it, with a copy button. The key is
// never stored by the console: once this notice is dismissed it is gone.
import { oneTimeSecret } from '../one-time-secret.js';

export function apiKeyNotice(tenantId: string, apiKey: string, onDismiss: () => void): HTMLElement {
  return oneTimeSecret({
    title: `API key for ${tenantId}`,
    text: 'Shown only this once: the server keeps just a hash of it. Give it to the tenant to sign in.',
    label: 'API key',
    value: apiKey,
    copyLabel: 'Copy key',
    onDismiss,
  });
}
