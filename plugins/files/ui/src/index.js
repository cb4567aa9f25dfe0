import { DelimiterWidget } from './DelimiterWidget.js';
import { TableViewer } from './TableViewer.js';
/**
 * What the Piper UI loads from this plugin's remote (`./ui`). Widgets are referenced from a node's
 * uiSchema as "@piper/plugin-files/<name>"; viewers are keyed by the node type whose output they show.
 */
export default {
    widgets: { delimiter: DelimiterWidget },
    viewers: { 'files.csvParse': TableViewer },
};
//# sourceMappingURL=index.js.map