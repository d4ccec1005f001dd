import type { Plugin } from "esbuild";

export declare const browserTwins: Plugin;
