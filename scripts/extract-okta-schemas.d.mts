export const DEFAULT_SPEC: string;
export const OUTPUT: string;
export function extract(source?: string): string;
