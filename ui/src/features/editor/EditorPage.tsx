export default function EditorPage() {
  return <p>Editor</p>;
}
