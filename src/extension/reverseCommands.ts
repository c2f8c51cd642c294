// Step back and reverse continue in the Command Palette: VS Code shows them
// only as debug toolbar buttons, so the extension contributes its own
// commands (package.json, `when` a hyperstep session is stopped) that run
// VS Code's, which act on the focused thread.

/** Our command -> the VS Code command it runs. */
export const REVERSE_COMMANDS: Readonly<Record<string, string>> = {
  'hyperstep.stepBack': 'workbench.action.debug.stepBack',
  'hyperstep.reverseContinue': 'workbench.action.debug.reverseContinue',
};
