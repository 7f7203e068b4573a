// Adds Testing Library's DOM matchers (toBeInTheDocument, …) to vitest's expect.
import '@testing-library/jest-dom/vitest';
