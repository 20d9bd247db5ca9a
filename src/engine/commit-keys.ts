/** What a transaction changes, named so that two works on the same thing never share a commit (see GroupCommit). */
export const keyOf = {
  interaction: (id: string) => `interaction:${id}`,
  agent: (id: string) => `agent:${id}`,
  message: (id: string) => `message:${id}`,
  config: () => 'config',
};
