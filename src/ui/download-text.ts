// Saves a text as a download via an object URL (the Runs table's CSV / JSON). No store, no engine.

export function downloadText(fileName: string, text: string, mimeType: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the click; revoke later so slow browsers still read the Blob.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
