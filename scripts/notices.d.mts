// Types of scripts/notices.mjs for the TypeScript build scripts and tests.
export declare const NOTICES_FILE: string;

export interface BundledPackage {
  name: string;
  version: string;
  license: string;
  homepage?: string;
  path: string;
  texts: Array<{ file: string; text: string }>;
}

export interface RuntimeNotice {
  version: string;
  text: string;
  usedBy: string[];
}

export declare function bundledPackages(
  metafiles: Array<{ inputs: Record<string, unknown> }>,
  root: string,
): BundledPackage[];

export declare function renderNotices(input: {
  product: string;
  packages: BundledPackage[];
  runtimes?: RuntimeNotice[];
}): string;
