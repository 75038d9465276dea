// A file input that reads the chosen file as text and hands over its name and text (evaluation texts,
// calibration texts, multiple-choice items); a read failure goes to `onError`.

import type { InputHTMLAttributes } from 'react';

export function TextFileInput({ onText, onError, ...input }: { onText: (file: { name: string; text: string }) => void; onError: (error: unknown) => void } & Omit<InputHTMLAttributes<HTMLInputElement>, 'type' | 'onChange'>) {
  return (
    <input
      {...input}
      type="file"
      onChange={(event) => {
        const file = event.target.files?.[0];
        if (file) file.text().then((text) => onText({ name: file.name, text }), onError);
      }}
    />
  );
}
