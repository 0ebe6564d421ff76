/**
 * Turns `{param}` route templates (protocol/SPEC.md §1) into Express paths and matchers.
 */
import { routeParams } from '@taskbridge/protocol';

/** `/api/v1/projects/{projectId}/tasks/{taskId}` → `/api/v1/projects/:projectId/tasks/:taskId`. */
export function toExpressPath(template: string): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A matcher for a template: returns the decoded params of a pathname, or `undefined`.
 * Used for WebSocket upgrades, which never reach Express's router.
 */
export function templateMatcher(template: string): (pathname: string) => Record<string, string> | undefined {
  const names = routeParams(template);
  const pattern = new RegExp(
    `^${template
      .split(/\{[A-Za-z_][A-Za-z0-9_]*\}/)
      .map(escapeRegExp)
      .join('([^/]+)')}/?$`,
  );
  return (pathname) => {
    const match = pattern.exec(pathname);
    if (!match) return undefined;
    const params: Record<string, string> = {};
    try {
      names.forEach((name, i) => {
        params[name] = decodeURIComponent(match[i + 1] as string);
      });
    } catch {
      return undefined;
    }
    return params;
  };
}
