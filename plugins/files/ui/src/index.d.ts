/**
 * What the Piper UI loads from this plugin's remote (`./ui`). Widgets are referenced from a node's
 * uiSchema as "@piper/plugin-files/<name>"; viewers are keyed by the node type whose output they show.
 */
declare const _default: {
    widgets: {
        delimiter: any;
    };
    viewers: {
        'files.csvParse': any;
    };
};
export default _default;
