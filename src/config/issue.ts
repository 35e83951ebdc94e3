/** One problem with a configuration, as `check-config` and a refused startup report it (load.ts, route-check.ts). */
export interface ConfigIssue {
  /** Dotted path of the bad field (`routes[2].destination`), or the environment variable (`env PORT`). */
  path: string;
  message: string;
  /** 1-based line in the config file, when the field is in it. */
  line?: number;
}
